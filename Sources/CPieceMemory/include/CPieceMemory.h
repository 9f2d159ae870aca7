#ifndef MAILPREP_CPIECEMEMORY_H
#define MAILPREP_CPIECEMEMORY_H

#include <stddef.h>

/// Allocation functions for the byte buffers that carry pieces of shared files from disk to sockets, which
/// count the bytes alive, in all and per download: `mailprep serve` reads the next piece of a download only while
/// its own count and the total are under their budgets, so the memory held for slow sockets (or a busy event
/// loop) stays bounded, and a client that stops reading holds only its own share. Thread-safe.
void *piece_memory_allocate(size_t size);
void *piece_memory_reallocate(void *pointer, size_t old_size, size_t new_size);
void piece_memory_free(void *_Nonnull pointer);
void piece_memory_copy(void *_Nonnull destination, const void *_Nonnull source, size_t count);

/// Bytes allocated through these functions and not yet freed.
size_t piece_memory_in_use(void);

/// One download's pieces. Blocks allocated while an owner is the calling thread's current one are counted to it
/// as well, until they are freed, whenever and on whichever thread that happens. An owner lives until it has been
/// released and the last of its blocks is freed.
typedef struct piece_owner piece_owner;

/// A new owner, with one reference for the caller.
piece_owner *_Nonnull piece_owner_create(void);
/// Gives up the caller's reference.
void piece_owner_release(piece_owner *_Nonnull owner);
/// Bytes allocated for this owner and not yet freed.
size_t piece_owner_in_use(const piece_owner *_Nonnull owner);
/// Blocks allocated on this thread from now on belong to `owner` (NULL: to none).
void piece_memory_set_owner(piece_owner *_Nullable owner);

#endif
