//! The plugin's heap: a bump allocator over the linear memory the module starts with.
//!
//! The host runs every delivery in a fresh instance and throws it away afterwards, so nothing
//! ever needs to be given back. What does cost is *growing* linear memory: the host then has to
//! re-protect the grown pages when the instance ends, and both protection changes flush the
//! TLB of every core. Rust's default allocator grows memory on its very first allocation, so
//! every delivery paid for two. This heap starts in the space the module already has (the
//! build tool gives plugins 2 MiB of initial memory) and grows only when that is used up.
//!
//! Freeing the newest block gives it back, and growing the newest block extends it in place,
//! which is what building a string or a `Vec` mostly does.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::Cell;

/// A WebAssembly page.
pub const PAGE: usize = 64 * 1024;

/// The memory a [`BumpHeap`] hands out: linear memory in a plugin, a buffer in tests.
pub trait HeapMemory {
    /// The first address the heap may use.
    fn heap_base(&self) -> usize;
    /// One past the last address currently in memory.
    fn end(&self) -> usize;
    /// Adds `pages` at the end; returns the previous end, or `None` if refused.
    fn grow(&self, pages: usize) -> Option<usize>;
}

/// A bump allocator over a [`HeapMemory`].
pub struct BumpHeap<M> {
    memory: M,
    /// Next free byte; 0 until the first allocation.
    next: Cell<usize>,
    /// End of memory as far as this heap knows.
    end: Cell<usize>,
}

// SAFETY: plugins are single-threaded (`wasm32-unknown-unknown` has no threads), so no two
// calls into the heap can overlap.
unsafe impl<M> Sync for BumpHeap<M> {}

impl<M: HeapMemory> BumpHeap<M> {
    /// An empty heap; it finds its start on the first allocation.
    pub const fn new(memory: M) -> Self {
        Self {
            memory,
            next: Cell::new(0),
            end: Cell::new(0),
        }
    }

    fn start_if_needed(&self) {
        if self.next.get() == 0 {
            self.next.set(self.memory.heap_base());
            self.end.set(self.memory.end());
        }
    }

    /// Makes sure memory reaches `needed_end`, growing it if it must.
    fn reserve_until(&self, needed_end: usize) -> bool {
        let end = self.end.get();
        if needed_end <= end {
            return true;
        }
        let pages = (needed_end - end).div_ceil(PAGE);
        // Refused (over the host's cap), or someone else grew memory behind this heap's back:
        // either way the allocation fails, which traps and fails only this delivery.
        if self.memory.grow(pages) != Some(end) {
            return false;
        }
        self.end.set(end + pages * PAGE);
        true
    }

    fn is_newest(&self, ptr: *mut u8, size: usize) -> bool {
        ptr as usize + size == self.next.get()
    }
}

unsafe impl<M: HeapMemory> GlobalAlloc for BumpHeap<M> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.start_if_needed();
        let start = self.next.get().next_multiple_of(layout.align());
        match start.checked_add(layout.size()) {
            Some(end) if self.reserve_until(end) => {
                self.next.set(end);
                start as *mut u8
            }
            _ => core::ptr::null_mut(),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if self.is_newest(ptr, layout.size()) {
            self.next.set(ptr as usize);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if self.is_newest(ptr, layout.size()) {
            return match (ptr as usize).checked_add(new_size) {
                Some(end) if self.reserve_until(end) => {
                    self.next.set(end);
                    ptr
                }
                _ => core::ptr::null_mut(),
            };
        }
        if new_size <= layout.size() {
            return ptr;
        }
        // SAFETY: the caller guarantees `new_size`, rounded up to the alignment, fits `isize`.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: `new_layout` has a non-zero size (it is larger than the old one).
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks hold at least `layout.size()` bytes and do not overlap.
            unsafe { core::ptr::copy_nonoverlapping(ptr, new, layout.size()) };
        }
        new
    }
}

/// The module's own linear memory (memory 0).
#[cfg(target_arch = "wasm32")]
pub struct LinearMemory;

#[cfg(target_arch = "wasm32")]
impl HeapMemory for LinearMemory {
    fn heap_base(&self) -> usize {
        unsafe extern "C" {
            /// First byte past the stack and static data, placed by the linker.
            static __heap_base: u8;
        }
        (&raw const __heap_base) as usize
    }

    fn end(&self) -> usize {
        core::arch::wasm32::memory_size(0) * PAGE
    }

    fn grow(&self, pages: usize) -> Option<usize> {
        match core::arch::wasm32::memory_grow(0, pages) {
            usize::MAX => None,
            previous_pages => Some(previous_pages * PAGE),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page-aligned buffer standing in for linear memory: `initial` pages in use, growable
    /// up to `capacity` pages. Counts the growths, which are what the heap tries to avoid.
    struct FakeMemory {
        /// Owns the addresses the heap hands out.
        _buffer: Vec<u8>,
        base: usize,
        pages: Cell<usize>,
        capacity: usize,
        growths: Cell<usize>,
    }

    impl FakeMemory {
        fn new(initial: usize, capacity: usize) -> Self {
            let buffer = vec![0u8; (capacity + 1) * PAGE];
            let base = (buffer.as_ptr() as usize).next_multiple_of(PAGE);
            Self {
                _buffer: buffer,
                base,
                pages: Cell::new(initial),
                capacity,
                growths: Cell::new(0),
            }
        }
    }

    impl HeapMemory for &FakeMemory {
        fn heap_base(&self) -> usize {
            // Like a plugin: the heap starts after some static data, not on a page boundary.
            self.base + 100
        }
        fn end(&self) -> usize {
            self.base + self.pages.get() * PAGE
        }
        fn grow(&self, pages: usize) -> Option<usize> {
            let previous = self.pages.get();
            if previous + pages > self.capacity {
                return None;
            }
            self.pages.set(previous + pages);
            self.growths.set(self.growths.get() + 1);
            Some(self.base + previous * PAGE)
        }
    }

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn blocks_are_aligned_disjoint_and_inside_the_initial_memory() {
        let memory = FakeMemory::new(2, 8);
        let heap = BumpHeap::new(&memory);
        let mut blocks = Vec::new();
        for (size, align) in [(1, 1), (24, 8), (3, 2), (100, 16), (7, 64), (1000, 4)] {
            let ptr = unsafe { heap.alloc(layout(size, align)) } as usize;
            assert_eq!(ptr % align, 0, "{size} bytes aligned to {align}");
            assert!(ptr >= memory.base + 100 && ptr + size <= memory.base + 2 * PAGE);
            blocks.push((ptr, size));
        }
        for pair in blocks.windows(2) {
            assert!(
                pair[0].0 + pair[0].1 <= pair[1].0,
                "blocks overlap: {pair:?}"
            );
        }
        assert_eq!(memory.growths.get(), 0);
    }

    #[test]
    fn growing_the_newest_block_keeps_it_in_place_and_freeing_it_gives_it_back() {
        let memory = FakeMemory::new(1, 4);
        let heap = BumpHeap::new(&memory);
        let first = unsafe { heap.alloc(layout(16, 8)) };
        unsafe { first.write_bytes(0xAB, 16) };
        let grown = unsafe { heap.realloc(first, layout(16, 8), 4096) };
        assert_eq!(grown, first);
        assert_eq!(unsafe { *grown.add(15) }, 0xAB);

        unsafe { heap.dealloc(grown, layout(4096, 8)) };
        let again = unsafe { heap.alloc(layout(32, 8)) };
        assert_eq!(again, first, "the freed newest block is handed out again");
    }

    #[test]
    fn an_older_block_moves_with_its_contents_when_it_grows() {
        let memory = FakeMemory::new(1, 4);
        let heap = BumpHeap::new(&memory);
        let older = unsafe { heap.alloc(layout(8, 8)) };
        unsafe { older.copy_from_nonoverlapping(b"prasang!".as_ptr(), 8) };
        let newer = unsafe { heap.alloc(layout(8, 8)) };
        let moved = unsafe { heap.realloc(older, layout(8, 8), 64) };
        assert!(
            moved as usize >= newer as usize + 8,
            "moved past the newer block"
        );
        assert_eq!(
            unsafe { core::slice::from_raw_parts(moved, 8) },
            b"prasang!"
        );
    }

    #[test]
    fn memory_grows_only_when_the_initial_memory_is_used_up() {
        let memory = FakeMemory::new(1, 4);
        let heap = BumpHeap::new(&memory);
        unsafe { heap.alloc(layout(PAGE / 2, 8)) };
        assert_eq!(memory.growths.get(), 0);
        let big = unsafe { heap.alloc(layout(PAGE, 8)) } as usize;
        assert_eq!(memory.growths.get(), 1);
        assert!(big + PAGE <= memory.base + memory.pages.get() * PAGE);
    }

    #[test]
    fn an_allocation_beyond_the_cap_fails_instead_of_overlapping() {
        let memory = FakeMemory::new(1, 2);
        let heap = BumpHeap::new(&memory);
        assert!(unsafe { heap.alloc(layout(3 * PAGE, 8)) }.is_null());
        let small = unsafe { heap.alloc(layout(64, 8)) };
        assert!(!small.is_null(), "a refused growth leaves the heap usable");
        assert!(unsafe { heap.realloc(small, layout(64, 8), 5 * PAGE) }.is_null());
    }

    #[test]
    fn memory_grown_by_someone_else_is_not_taken_over() {
        let memory = FakeMemory::new(1, 8);
        let heap = BumpHeap::new(&memory);
        unsafe { heap.alloc(layout(64, 8)) };
        (&memory).grow(1); // e.g. a `memory.grow` in other code of the module
        assert!(unsafe { heap.alloc(layout(PAGE, 8)) }.is_null());
    }
}
