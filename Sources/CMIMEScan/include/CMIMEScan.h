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

/// Encodes `count` bytes (a multiple of 3) as base64 into `out`, starting a new line with `line_break`
/// (`break_length` bytes) before any group that would pass column 76. `*column` holds the characters already on the
/// current line and is updated. Returns the bytes written; `out` must hold `count / 3 * 4 + (count / 57 + 1) * 2`.
size_t mime_base64_encode(const uint8_t *in, size_t count, uint8_t *out,
                          const uint8_t *line_break, size_t break_length, size_t *column);

/// Decodes base64 from `in` into `out`, skipping CR and LF, until the input ends or a byte that is neither an
/// alphabet character nor a line break (a pad, junk) is reached, which is left for the caller. A partial quantum is
/// carried between calls in `*accumulator` and `*characters` (alphabet characters seen, mod 4 matters). Returns the
/// input consumed; `*written` gets the bytes written, at most `count / 4 * 3 + 3`.
size_t mime_base64_decode(const uint8_t *in, size_t count, uint8_t *out, size_t *written,
                          uint32_t *accumulator, size_t *characters);

/// The first occurrence of `needle` (`needle_length` bytes) in `haystack` (`count` bytes), or NULL. A needle that
/// begins with a line break (a line start: "\nFrom ", "\n>") is found 16 lanes at a time; any other goes to the C
/// library's memmem, which Swift's Glibc module does not show (a GNU extension there).
const uint8_t *mime_find(const uint8_t *haystack, size_t count, const uint8_t *needle, size_t needle_length);

#endif
