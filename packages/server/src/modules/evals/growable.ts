type TypedArray = Int32Array | Float32Array | Float64Array;
type Ctor<T extends TypedArray> = new (length: number) => T;

/** An append-only typed array that doubles its buffer; evaluations keep millions of values. */
export class Growable<T extends TypedArray> {
  private data: T;
  length = 0;

  constructor(
    private readonly ctor: Ctor<T>,
    capacity = 4096,
  ) {
    this.data = new ctor(capacity);
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new this.ctor(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  /** The values so far, trimmed to a fresh array of exactly `length` elements. */
  finish(): T {
    return this.data.slice(0, this.length) as T;
  }
}

/** Strings to dense integer codes and back: labels and groups are compared as codes. */
export class Dictionary {
  private readonly codes = new Map<string, number>();
  readonly names: string[] = [];

  code(name: string): number {
    let code = this.codes.get(name);
    if (code === undefined) {
      code = this.names.length;
      this.codes.set(name, code);
      this.names.push(name);
    }
    return code;
  }
}
