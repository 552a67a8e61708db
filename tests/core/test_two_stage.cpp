#include "core/two_stage.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace {

// Items 0..n-1 through the two stages; returns what the consumer saw, in order.
std::vector<int> run(std::size_t depth, int n, int producer_fails_at = -1, int consumer_fails_at = -1,
                     int* produced = nullptr) {
  std::vector<int> seen;
  int next = 0;
  idef::run_two_stage<int>(
      depth,
      [&](int& item) {
        if (next == producer_fails_at) throw std::runtime_error("bad item");
        if (next == n) return false;
        item = next++;
        if (produced) *produced = next;
        return true;
      },
      [&](int& item) {
        if (item == consumer_fails_at) throw std::logic_error("cannot write");
        seen.push_back(item * 10);
      });
  return seen;
}

}  // namespace

TEST(TwoStage, KeepsTheOrderAtEveryDepth) {
  for (std::size_t depth : {0, 1, 2, 5}) {
    std::vector<int> seen = run(depth, 50);
    ASSERT_EQ(seen.size(), 50u) << depth;
    for (int i = 0; i < 50; ++i) EXPECT_EQ(seen[i], i * 10) << depth;
  }
  EXPECT_TRUE(run(2, 0).empty());
}

// A producer error surfaces after every item before it was consumed.
TEST(TwoStage, ProducerErrorAfterTheItemsBeforeIt) {
  for (std::size_t depth : {0, 2}) {
    std::vector<int> seen;
    int next = 0;
    EXPECT_THROW(idef::run_two_stage<int>(
                     depth,
                     [&](int& item) {
                       if (next == 7) throw std::runtime_error("truncated");
                       item = next++;
                       return true;
                     },
                     [&](int& item) { seen.push_back(item); }),
                 std::runtime_error);
    EXPECT_EQ(seen.size(), 7u) << depth;
  }
}

// A consumer error stops the producer (no hang, no endless reading) and is rethrown.
TEST(TwoStage, ConsumerErrorStopsTheProducer) {
  int produced = 0;
  EXPECT_THROW(run(2, 1000000, -1, 3, &produced), std::logic_error);
  EXPECT_LE(produced, 3 + 1 + 2 + 1);  // the failed item, the queue and the one in hand
}
