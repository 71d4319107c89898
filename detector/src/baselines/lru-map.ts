/**
 * A map that keeps its keys in least-recently-used order, for the baselines' bounded key
 * sets. They used to delete and re-insert a Map key on every use to move it to the end:
 * two more hash operations per key and per span, on keys the scorers build afresh each
 * time. Here a use moves a list node, and the hash is looked up once.
 */
interface Node<V> {
  readonly key: string;
  value: V;
  older: Node<V> | undefined;
  newer: Node<V> | undefined;
}

export class LruMap<V> {
  private readonly nodes = new Map<string, Node<V>>();
  private oldest: Node<V> | undefined;
  private newest: Node<V> | undefined;

  constructor(private readonly maxKeys: number) {}

  /** The value, without counting as a use. */
  peek(key: string): V | undefined {
    return this.nodes.get(key)?.value;
  }

  /** The value, made the most recently used. */
  use(key: string): V | undefined {
    const node = this.nodes.get(key);
    if (!node) return undefined;
    if (node !== this.newest) {
      this.unlink(node);
      this.append(node);
    }
    return node.value;
  }

  /** Adds a key that is not there yet, as the most recently used; past `maxKeys` the least
   * recently used goes. */
  add(key: string, value: V): void {
    const node: Node<V> = { key, value, older: undefined, newer: undefined };
    this.nodes.set(key, node);
    this.append(node);
    if (this.nodes.size <= this.maxKeys) return;
    const gone = this.oldest!;
    this.unlink(gone);
    this.nodes.delete(gone.key);
  }

  /** Adds in order without evicting, as a restore does: what was saved comes back whole.
   * The keys are distinct (an object's entries). */
  load(entries: Iterable<[string, V]>): void {
    this.clear();
    for (const [key, value] of entries) {
      const node: Node<V> = { key, value, older: undefined, newer: undefined };
      this.nodes.set(key, node);
      this.append(node);
    }
  }

  clear(): void {
    this.nodes.clear();
    this.oldest = this.newest = undefined;
  }

  /** Least recently used first, as a snapshot lists them and a restore reads them back. */
  entries(): [string, V][] {
    const out: [string, V][] = [];
    for (let node = this.oldest; node; node = node.newer) out.push([node.key, node.value]);
    return out;
  }

  private unlink(node: Node<V>): void {
    if (node.older) node.older.newer = node.newer;
    else this.oldest = node.newer;
    if (node.newer) node.newer.older = node.older;
    else this.newest = node.older;
    node.older = node.newer = undefined;
  }

  private append(node: Node<V>): void {
    node.older = this.newest;
    if (this.newest) this.newest.newer = node;
    else this.oldest = node;
    this.newest = node;
  }
}
