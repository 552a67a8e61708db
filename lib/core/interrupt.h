// SIGINT/SIGTERM as a request to stop cleanly: long jobs poll interrupted(), write a
// checkpoint and exit, instead of dying mid-write.
#pragma once

namespace idef {

void install_interrupt_handler();
bool interrupted();
int interrupt_signal();  // the signal received, 0 if none
void clear_interrupt();  // forget a received signal (tests, or a tool going on after a stop)

}  // namespace idef
