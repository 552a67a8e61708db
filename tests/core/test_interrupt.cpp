#include "core/interrupt.h"

#include <gtest/gtest.h>

#include <csignal>

// SIGINT and SIGTERM become a stop request the long jobs poll; the process lives on.
TEST(Interrupt, SignalsBecomeARequestThatCanBeCleared) {
  struct sigaction before_int {}, before_term {};
  sigaction(SIGINT, nullptr, &before_int);
  sigaction(SIGTERM, nullptr, &before_term);
  idef::install_interrupt_handler();
  idef::clear_interrupt();
  EXPECT_FALSE(idef::interrupted());
  EXPECT_EQ(idef::interrupt_signal(), 0);
  std::raise(SIGTERM);
  EXPECT_TRUE(idef::interrupted());
  EXPECT_EQ(idef::interrupt_signal(), SIGTERM);
  std::raise(SIGINT);  // the latest signal is the one reported
  EXPECT_EQ(idef::interrupt_signal(), SIGINT);
  idef::clear_interrupt();
  EXPECT_FALSE(idef::interrupted());
  // Later tests in this process get the default handlers back.
  sigaction(SIGINT, &before_int, nullptr);
  sigaction(SIGTERM, &before_term, nullptr);
}
