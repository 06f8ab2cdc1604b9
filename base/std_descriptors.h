#pragma once
// A process started with standard input, output or error closed (`app >&-`, a daemon's
// children) hands the next open() that number: the run lock would become descriptor 1, and every
// progress line would be written into <run>/.lock over its host/pid record. Opening /dev/null
// on each closed one before anything else opens a file keeps 0-2 from ever naming our files.
namespace aafgan {

// Opens /dev/null on each of descriptors 0, 1, 2 that is closed. Call first thing in main(),
// before any file is opened. False (errno set) when one was closed and /dev/null could not be
// opened: the caller must not go on, since its next file would take that number.
bool ensure_std_descriptors() noexcept;

// The apps' first line of main(): ensure_std_descriptors, saying on stderr why it failed
// (perror). False: exit 1 at once.
bool std_descriptors_ready() noexcept;

}  // namespace aafgan
