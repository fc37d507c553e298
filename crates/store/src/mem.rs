//! Memory estimates for accounting.
//!
//! The store counts the bytes it asks the allocator for, rounded the way glibc's malloc
//! rounds a request into a chunk (an 8-byte header, 16-byte granularity, 32 bytes at least),
//! so that `used_bytes` tracks what the process really spends rather than the payload alone.

/// The estimated size of the chunk the allocator hands out for a request of `n` bytes
/// (0 for no allocation).
pub fn alloc_size(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        n.saturating_add(8 + 15).max(32) & !15
    }
}

#[cfg(test)]
mod tests {
    use super::alloc_size;

    #[test]
    fn rounds_like_malloc() {
        assert_eq!(alloc_size(0), 0);
        assert_eq!(alloc_size(1), 32);
        assert_eq!(alloc_size(24), 32);
        assert_eq!(alloc_size(25), 48);
        assert_eq!(alloc_size(40), 48);
        assert_eq!(alloc_size(41), 64);
    }
}
