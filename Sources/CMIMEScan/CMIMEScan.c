#define _GNU_SOURCE
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

/* Alphabet value of each byte (0-63); 64 for CR and LF, which are skipped; 255 for anything else, which the
   caller decides about (a pad, junk). */
static const uint8_t decode_table[256] = {
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255,  64, 255, 255,  64, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,  62, 255, 255, 255,  63,
     52,  53,  54,  55,  56,  57,  58,  59,  60,  61, 255, 255, 255, 255, 255, 255,
    255,   0,   1,   2,   3,   4,   5,   6,   7,   8,   9,  10,  11,  12,  13,  14,
     15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25, 255, 255, 255, 255, 255,
    255,  26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,  37,  38,  39,  40,
     41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
};

#define decode_value(byte) decode_table[(byte)]

typedef uint32_t words4 __attribute__((vector_size(16)));

/* Decodes 16 alphabet characters into 12 bytes at once; returns 0 (writing nothing) when any of the 16 is not
   an alphabet character, for the byte-at-a-time path to handle. Portable vector code, as above. */
static inline int decode_block16(const uint8_t *in, uint8_t *out) {
    bytes16 v;
    memcpy(&v, in, 16);
    bytes16 upper = (bytes16)((bytes16)(v - 65) < 26);
    bytes16 lower = (bytes16)((bytes16)(v - 97) < 26);
    bytes16 digit = (bytes16)((bytes16)(v - 48) < 10);
    bytes16 plus = (bytes16)(v == 43);
    bytes16 slash = (bytes16)(v == 47);
    words2 valid = (words2)(upper | lower | digit | plus | slash);
    if ((valid[0] & valid[1]) != ~(uint64_t)0) return 0;
    bytes16 values = (upper & (bytes16)(v - 65)) | (lower & (bytes16)(v - 71)) | (digit & (bytes16)(v + 4))
                   | (plus & (bytes16){62, 62, 62, 62, 62, 62, 62, 62, 62, 62, 62, 62, 62, 62, 62, 62})
                   | (slash & (bytes16){63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63});
    /* Each 32-bit lane holds four 6-bit values, first character lowest: make them one 24-bit group. */
    words4 w = (words4)values;
    words4 group = ((w & 0xFF) << 18) | (((w >> 8) & 0xFF) << 12) | (((w >> 16) & 0xFF) << 6) | (w >> 24);
    /* The group's bytes, high first, lane after lane. */
    bytes16 bytes = (bytes16)group;
    bytes16 ordered = __builtin_shufflevector(bytes, bytes, 2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, 3, 7, 11, 15);
    memcpy(out, &ordered, 12);
    return 1;
}

size_t mime_base64_decode(const uint8_t *in, size_t count, uint8_t *out, size_t *written,
                          uint32_t *accumulator, size_t *characters) {
    size_t index = 0;
    size_t produced = 0;
    uint32_t acc = *accumulator;
    size_t chars = *characters;
    while (index < count) {
        /* Whole quanta at once while four alphabet characters follow. */
        if ((chars & 3) == 0) {
            while (index + 16 <= count && decode_block16(in + index, out + produced)) {
                produced += 12;
                chars += 16;
                index += 16;
            }
            while (index + 4 <= count) {
                uint8_t a = decode_value(in[index]), b = decode_value(in[index + 1]);
                uint8_t c = decode_value(in[index + 2]), d = decode_value(in[index + 3]);
                if ((a | b | c | d) >= 64) break;
                uint32_t group = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | d;
                out[produced] = (uint8_t)(group >> 16);
                out[produced + 1] = (uint8_t)(group >> 8);
                out[produced + 2] = (uint8_t)group;
                produced += 3;
                chars += 4;
                index += 4;
            }
            if (index >= count) break;
        }
        uint8_t value = decode_value(in[index]);
        if (value == 64) { index++; continue; }
        if (value == 255) break;
        acc = acc << 6 | value;
        chars++;
        index++;
        if ((chars & 3) == 0) {
            out[produced] = (uint8_t)(acc >> 16);
            out[produced + 1] = (uint8_t)(acc >> 8);
            out[produced + 2] = (uint8_t)acc;
            produced += 3;
            acc = 0;
        }
    }
    *accumulator = acc;
    *characters = chars;
    *written = produced;
    return index;
}

const uint8_t *mime_find(const uint8_t *haystack, size_t count, const uint8_t *needle, size_t needle_length) {
    if (needle_length >= 2 && needle[0] == '\n') {
        // A line that begins with needle[1...]: glibc's memmem managed about 2 GB/s on mail; two compares of 16
        // lanes do several times that, and only the rare candidates are compared further.
        size_t index = 0;
        while (index + 1 < count) {
            size_t left = count - 1 - index;
            const uint8_t *at = NULL;
            size_t scan = 0;
            for (; scan + 16 <= left; scan += 16) {
                bytes16 breaks, seconds;
                memcpy(&breaks, haystack + index + scan, 16);
                memcpy(&seconds, haystack + index + scan + 1, 16);
                bytes16 both = (bytes16)(breaks == '\n') & (bytes16)(seconds == needle[1]);
                words2 words = (words2)both;
                if (words[0] | words[1]) {
                    size_t lane = words[0] ? (size_t)__builtin_ctzll(words[0]) / 8 : 8 + (size_t)__builtin_ctzll(words[1]) / 8;
                    at = haystack + index + scan + lane;
                    break;
                }
            }
            if (!at) {
                for (; scan < left; scan++) {
                    if (haystack[index + scan] == '\n' && haystack[index + scan + 1] == needle[1]) {
                        at = haystack + index + scan;
                        break;
                    }
                }
            }
            if (!at) return NULL;
            size_t position = (size_t)(at - haystack);
            if (position + needle_length <= count && memcmp(at, needle, needle_length) == 0) return at;
            index = position + 1;
        }
        return NULL;
    }
    return memmem(haystack, count, needle, needle_length);
}
