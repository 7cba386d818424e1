/**
 * One buffer reused for reading file after file whole (a snapshot load reads every segment in
 * turn and copies what it keeps). A fresh buffer per file leaves each one to the allocator once
 * freed, and glibc keeps freed blocks of a few MB in the process (its mmap threshold rises to the
 * largest block freed, up to 32 MB), so RSS after a load grew with the number of segments read.
 */
export class ReadBuffer {
  private buffer: Buffer | null = null;

  /** @param capacity - bytes to allocate at the first read (e.g. the largest file to come) */
  constructor(private readonly capacity = 0) {}

  /** `length` bytes to read into, valid until the next `take`; 8-byte aligned (segment columns are zero-copy views). */
  take(length: number): Buffer {
    if (this.buffer === null || this.buffer.length < length) this.buffer = Buffer.allocUnsafeSlow(Math.max(length, this.capacity));
    return this.buffer.subarray(0, length);
  }
}
