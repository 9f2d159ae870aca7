#ifndef MAILPREP_CMIMESCAN_H
#define MAILPREP_CMIMESCAN_H

#include <stddef.h>
#include <stdint.h>

/// Length of the longest prefix of `bytes[0..<count]` made only of base64 alphabet characters
/// (A-Z, a-z, 0-9, '+', '/'): 16 bytes at a time, then byte by byte.
///
/// Written with the compiler's portable vector extensions (SSE2 on x86-64, NEON on arm64): Swift's SIMD types
/// compile this test to a loop over lanes, about 400 times slower.
size_t mime_base64_alphabet_run(const uint8_t *bytes, size_t count);

#endif
