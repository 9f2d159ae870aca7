#include "CPieceMemory.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct piece_owner {
    atomic_size_t in_use;
    atomic_size_t references;
};

/* Each block starts with a header holding its size and its owner, so that a free knows how much it gives back and
   to whom; 16 bytes keep the memory after it aligned as malloc's is. */
struct header {
    size_t size;
    piece_owner *owner;
};
#define HEADER 16
_Static_assert(sizeof(struct header) <= HEADER, "the block header must fit in 16 bytes");

static atomic_size_t in_use;
static _Thread_local piece_owner *current_owner;

piece_owner *piece_owner_create(void) {
    piece_owner *owner = malloc(sizeof *owner);
    if (owner == NULL) abort();
    atomic_init(&owner->in_use, 0);
    atomic_init(&owner->references, 1);
    return owner;
}

void piece_owner_release(piece_owner *owner) {
    if (atomic_fetch_sub_explicit(&owner->references, 1, memory_order_acq_rel) == 1) free(owner);
}

size_t piece_owner_in_use(const piece_owner *owner) {
    return atomic_load_explicit(&owner->in_use, memory_order_relaxed);
}

void piece_memory_set_owner(piece_owner *owner) {
    current_owner = owner;
}

void *piece_memory_allocate(size_t size) {
    unsigned char *block = malloc(size + HEADER);
    if (block == NULL) abort();
    struct header header = {size, current_owner};
    if (header.owner != NULL) {
        atomic_fetch_add_explicit(&header.owner->references, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&header.owner->in_use, size, memory_order_relaxed);
    }
    memcpy(block, &header, sizeof header);
    atomic_fetch_add_explicit(&in_use, size, memory_order_relaxed);
    return block + HEADER;
}

void *piece_memory_reallocate(void *pointer, size_t old_size, size_t new_size) {
    (void)old_size;
    if (pointer == NULL) return piece_memory_allocate(new_size);
    unsigned char *block = (unsigned char *)pointer - HEADER;
    struct header header;
    memcpy(&header, block, sizeof header);
    block = realloc(block, new_size + HEADER);
    if (block == NULL) abort();
    size_t previous = header.size;
    header.size = new_size;
    memcpy(block, &header, sizeof header);
    atomic_fetch_add_explicit(&in_use, new_size, memory_order_relaxed);
    atomic_fetch_sub_explicit(&in_use, previous, memory_order_relaxed);
    if (header.owner != NULL) {
        atomic_fetch_add_explicit(&header.owner->in_use, new_size, memory_order_relaxed);
        atomic_fetch_sub_explicit(&header.owner->in_use, previous, memory_order_relaxed);
    }
    return block + HEADER;
}

void piece_memory_free(void *pointer) {
    unsigned char *block = (unsigned char *)pointer - HEADER;
    struct header header;
    memcpy(&header, block, sizeof header);
    atomic_fetch_sub_explicit(&in_use, header.size, memory_order_relaxed);
    if (header.owner != NULL) {
        atomic_fetch_sub_explicit(&header.owner->in_use, header.size, memory_order_relaxed);
        piece_owner_release(header.owner);
    }
    free(block);
}

void piece_memory_copy(void *destination, const void *source, size_t count) {
    memcpy(destination, source, count);
}

size_t piece_memory_in_use(void) {
    return atomic_load_explicit(&in_use, memory_order_relaxed);
}
