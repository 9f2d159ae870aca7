#include "CPieceMemory.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Each block starts with a header holding its size, so that a free knows how much it gives back; 16 bytes keep
   the memory after it aligned as malloc's is. */
#define HEADER 16

static atomic_size_t in_use;

void *piece_memory_allocate(size_t size) {
    unsigned char *block = malloc(size + HEADER);
    if (block == NULL) abort();
    memcpy(block, &size, sizeof size);
    atomic_fetch_add_explicit(&in_use, size, memory_order_relaxed);
    return block + HEADER;
}

void *piece_memory_reallocate(void *pointer, size_t old_size, size_t new_size) {
    (void)old_size;
    if (pointer == NULL) return piece_memory_allocate(new_size);
    unsigned char *block = (unsigned char *)pointer - HEADER;
    size_t previous;
    memcpy(&previous, block, sizeof previous);
    block = realloc(block, new_size + HEADER);
    if (block == NULL) abort();
    memcpy(block, &new_size, sizeof new_size);
    atomic_fetch_add_explicit(&in_use, new_size, memory_order_relaxed);
    atomic_fetch_sub_explicit(&in_use, previous, memory_order_relaxed);
    return block + HEADER;
}

void piece_memory_free(void *pointer) {
    unsigned char *block = (unsigned char *)pointer - HEADER;
    size_t size;
    memcpy(&size, block, sizeof size);
    atomic_fetch_sub_explicit(&in_use, size, memory_order_relaxed);
    free(block);
}

void piece_memory_copy(void *destination, const void *source, size_t count) {
    memcpy(destination, source, count);
}

size_t piece_memory_in_use(void) {
    return atomic_load_explicit(&in_use, memory_order_relaxed);
}
