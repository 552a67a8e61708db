#include "core/interrupt.h"

#include <csignal>

namespace idef {
namespace {
volatile std::sig_atomic_t received = 0;
extern "C" void on_signal(int sig) { received = sig; }
}  // namespace

void install_interrupt_handler() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool interrupted() { return received != 0; }
int interrupt_signal() { return received; }
void clear_interrupt() { received = 0; }

}  // namespace idef
