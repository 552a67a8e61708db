#pragma once

// Marks a per-pixel loop to be compiled twice, for AVX2 and for the x86-64 baseline, with
// the one to run picked once when the library loads (GCC function multiversioning). The
// baseline's SSE2 cannot shuffle bytes, so loops over interleaved RGB stay scalar there;
// AVX2 vectorises them. AVX2 implies no FMA, so both versions round alike and give the
// same bits on every machine.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define IDEF_PIXEL_KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define IDEF_PIXEL_KERNEL
#endif
