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
