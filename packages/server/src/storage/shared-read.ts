/**
 * A read shared by every caller that asked for it before it ran. The read is issued on the
 * event loop's next check phase, so all callers of one loop turn (under load, every request the
 * turn parsed) get one answer; each of them sees the database as it stood after it asked, which
 * is what a read of its own would have shown. A caller arriving once the read is issued waits
 * for the next one: a value read before a caller asked is never handed to it.
 */
export class SharedRead<T> {
  private next: Promise<T> | undefined;
  private issued = 0;

  constructor(private readonly read: () => Promise<T>) {}

  get(): Promise<T> {
    this.next ??= new Promise<T>((resolve, reject) => {
      setImmediate(() => {
        this.next = undefined;
        this.issued += 1;
        this.read().then(resolve, reject);
      });
    });
    return this.next;
  }

  /** How many reads were issued: fewer than callers when they shared. */
  get reads(): number {
    return this.issued;
  }
}
