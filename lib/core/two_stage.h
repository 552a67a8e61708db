// Two-stage pipelines over a sequence: a producer thread reads and prepares item n+1 while
// the calling thread finishes item n. With a short queue, memory stays constant.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

namespace idef {

// A queue of at most `capacity` items between one producer and one consumer. close() ends
// it after the items already in it; cancel() (the consumer giving up) makes push fail.
template <class T>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {}

  // False when the consumer cancelled: the producer should stop.
  bool push(T item) {
    std::unique_lock<std::mutex> lock(mutex_);
    space_.wait(lock, [&] { return cancelled_ || items_.size() < capacity_; });
    if (cancelled_) return false;
    items_.push_back(std::move(item));
    ready_.notify_one();
    return true;
  }
  // The next item, or nothing once the queue is closed and empty.
  std::optional<T> pop() {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    space_.notify_one();
    return item;
  }
  void close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    ready_.notify_all();
  }
  void cancel() {
    std::lock_guard<std::mutex> lock(mutex_);
    cancelled_ = true;
    space_.notify_all();
  }

 private:
  std::size_t capacity_;
  std::deque<T> items_;
  bool closed_ = false, cancelled_ = false;
  std::mutex mutex_;
  std::condition_variable ready_, space_;
};

// Runs `produce` (fills an item; false at the end of the sequence) on its own thread and
// `consume` on the calling thread, in order, `depth` items apart at most. An exception of
// either side stops both and is rethrown here after every item produced before it was
// consumed (producer) or at once (consumer). With depth 0 both run on the calling thread.
template <class T>
void run_two_stage(std::size_t depth, const std::function<bool(T&)>& produce, const std::function<void(T&)>& consume) {
  if (depth == 0) {
    T item;
    while (produce(item)) consume(item);
    return;
  }
  BoundedQueue<T> queue(depth);
  std::exception_ptr producer_error;
  std::thread producer([&] {
    try {
      for (;;) {
        T item;
        if (!produce(item) || !queue.push(std::move(item))) break;
      }
    } catch (...) {
      producer_error = std::current_exception();
    }
    queue.close();
  });
  try {
    while (std::optional<T> item = queue.pop()) consume(*item);
  } catch (...) {
    queue.cancel();
    producer.join();
    throw;
  }
  producer.join();
  if (producer_error) std::rethrow_exception(producer_error);
}

}  // namespace idef
