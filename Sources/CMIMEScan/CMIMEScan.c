#include "CMIMEScan.h"
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "mime_base64_alphabet_run reads lanes as little-endian words"
#endif

typedef uint8_t bytes16 __attribute__((vector_size(16)));
typedef uint64_t words2 __attribute__((vector_size(16)));

/// 0xFF in each lane holding an alphabet character, 0 elsewhere. Unsigned wrap-around makes each range one
/// comparison; '/' and the digits are 47...57.
static inline bytes16 alphabet_lanes(const uint8_t *at) {
    bytes16 v;
    memcpy(&v, at, 16);
    return (bytes16)((bytes16)(v - 65) < 26) | (bytes16)((bytes16)(v - 97) < 26)
         | (bytes16)((bytes16)(v - 47) < 11) | (bytes16)(v == 43);
}

/// Index of the first lane that is not alphabet, or 16.
static inline size_t first_other(bytes16 lanes) {
    words2 words = (words2)lanes;
    uint64_t low = ~words[0], high = ~words[1];
    if (low) return (size_t)__builtin_ctzll(low) / 8;
    if (high) return 8 + (size_t)__builtin_ctzll(high) / 8;
    return 16;
}

size_t mime_base64_alphabet_run(const uint8_t *bytes, size_t count) {
    if (count < 16) {
        size_t index = 0;
        while (index < count) {
            uint8_t c = bytes[index];
            if (!((uint8_t)(c - 65) < 26 || (uint8_t)(c - 97) < 26 || (uint8_t)(c - 47) < 11 || c == 43)) break;
            index++;
        }
        return index;
    }
    size_t index = 0;
    for (; index + 16 <= count; index += 16) {
        size_t other = first_other(alphabet_lanes(bytes + index));
        if (other < 16) return index + other;
    }
    if (index == count) return count;
    // The tail: one more block ending at `count`, overlapping bytes already known to be alphabet.
    size_t start = count - 16;
    return start + first_other(alphabet_lanes(bytes + start));
}

static const uint8_t base64_alphabet[64] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static inline void encode_group(const uint8_t *in, uint8_t *out) {
    uint32_t group = (uint32_t)in[0] << 16 | (uint32_t)in[1] << 8 | in[2];
    out[0] = base64_alphabet[group >> 18];
    out[1] = base64_alphabet[(group >> 12) & 63];
    out[2] = base64_alphabet[(group >> 6) & 63];
    out[3] = base64_alphabet[group & 63];
}

size_t mime_base64_encode(const uint8_t *in, size_t count, uint8_t *out,
                          const uint8_t *line_break, size_t break_length, size_t *column) {
    uint8_t *start = out;
    size_t index = 0;
    size_t col = *column;
    while (index + 3 <= count) {
        if (col == 76) {
            memcpy(out, line_break, break_length);
            out += break_length;
            col = 0;
        }
        if (col == 0 && index + 57 <= count) {
            // A whole line: 19 groups.
            for (int group = 0; group < 19; group++) encode_group(in + index + group * 3, out + group * 4);
            out += 76;
            index += 57;
            col = 76;
            continue;
        }
        encode_group(in + index, out);
        out += 4;
        index += 3;
        col += 4;
    }
    *column = col;
    return (size_t)(out - start);
}
