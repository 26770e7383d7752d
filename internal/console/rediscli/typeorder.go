package rediscli

import (
	"encoding/binary"
	"math/bits"
)

// redis-cli's --bigkeys and --memkeys keep their per-type totals in one of
// Redis's hash tables and print the summary in that table's iteration
// order. The order depends on the type names' hashes (SipHash-1-2 with an
// all-zero key, as redis-cli never seeds it) and on how far the table's
// incremental rehashing has got, which advances one step per lookup. This
// file models just enough of such a table to print types in the same
// order: buckets of chains with new entries at the head, growth to the
// next power of two once it is full, and one bucket moved per add or
// lookup while it grows.

// typeTable is that model; values are indices into the caller's slice.
type typeTable struct {
	tables    [2][][]tableEntry
	used      [2]int
	rehashIdx int // -1 when not rehashing
}

type tableEntry struct {
	name string
	val  int
}

func newTypeTable() *typeTable { return &typeTable{rehashIdx: -1} }

func (t *typeTable) rehashing() bool { return t.rehashIdx != -1 }

// add inserts name (not already present).
func (t *typeTable) add(name string, val int) {
	if t.rehashing() {
		t.step()
	}
	t.growIfNeeded()
	tbl := 0
	if t.rehashing() {
		tbl = 1
	}
	b := t.tables[tbl]
	i := int(sipHash12([]byte(name)) & uint64(len(b)-1))
	b[i] = append([]tableEntry{{name, val}}, b[i]...)
	t.used[tbl]++
}

// find looks name up, moving one bucket first if the table grows.
func (t *typeTable) find(name string) (int, bool) {
	if t.used[0]+t.used[1] == 0 {
		return 0, false
	}
	if t.rehashing() {
		t.step()
	}
	h := sipHash12([]byte(name))
	for tbl := 0; tbl < 2; tbl++ {
		b := t.tables[tbl]
		if len(b) == 0 {
			continue
		}
		for _, e := range b[int(h&uint64(len(b)-1))] {
			if e.name == name {
				return e.val, true
			}
		}
		if !t.rehashing() {
			break
		}
	}
	return 0, false
}

// order returns the values in iteration order: the first table's buckets,
// then the second's while growing.
func (t *typeTable) order() []int {
	var out []int
	for tbl := 0; tbl < 2; tbl++ {
		if tbl == 1 && !t.rehashing() {
			break
		}
		for _, chain := range t.tables[tbl] {
			for _, e := range chain {
				out = append(out, e.val)
			}
		}
	}
	return out
}

func (t *typeTable) growIfNeeded() {
	if t.rehashing() {
		return
	}
	if len(t.tables[0]) == 0 {
		t.tables[0] = make([][]tableEntry, 4)
		return
	}
	if t.used[0] >= len(t.tables[0]) {
		size := 4
		for size < t.used[0]+1 {
			size *= 2
		}
		t.tables[1] = make([][]tableEntry, size)
		t.rehashIdx = 0
	}
}

// step moves one non-empty bucket to the new table, looking at no more
// than ten empty ones on the way.
func (t *typeTable) step() {
	empty := 10
	if t.used[0] == 0 {
		t.finish()
		return
	}
	for len(t.tables[0][t.rehashIdx]) == 0 {
		t.rehashIdx++
		if empty--; empty == 0 {
			return
		}
	}
	for _, e := range t.tables[0][t.rehashIdx] {
		nb := t.tables[1]
		i := int(sipHash12([]byte(e.name)) & uint64(len(nb)-1))
		nb[i] = append([]tableEntry{e}, nb[i]...)
		t.used[0]--
		t.used[1]++
	}
	t.tables[0][t.rehashIdx] = nil
	t.rehashIdx++
	if t.used[0] == 0 {
		t.finish()
	}
}

func (t *typeTable) finish() {
	t.tables[0], t.tables[1] = t.tables[1], nil
	t.used[0], t.used[1] = t.used[1], 0
	t.rehashIdx = -1
}

// sipHash12 is SipHash with one compression and two finalization rounds
// and an all-zero key.
func sipHash12(msg []byte) uint64 {
	v0 := uint64(0x736f6d6570736575)
	v1 := uint64(0x646f72616e646f6d)
	v2 := uint64(0x6c7967656e657261)
	v3 := uint64(0x7465646279746573)
	round := func() {
		v0 += v1
		v1 = bits.RotateLeft64(v1, 13)
		v1 ^= v0
		v0 = bits.RotateLeft64(v0, 32)
		v2 += v3
		v3 = bits.RotateLeft64(v3, 16)
		v3 ^= v2
		v0 += v3
		v3 = bits.RotateLeft64(v3, 21)
		v3 ^= v0
		v2 += v1
		v1 = bits.RotateLeft64(v1, 17)
		v1 ^= v2
		v2 = bits.RotateLeft64(v2, 32)
	}
	last := uint64(len(msg)) << 56
	for len(msg) >= 8 {
		m := binary.LittleEndian.Uint64(msg)
		v3 ^= m
		round()
		v0 ^= m
		msg = msg[8:]
	}
	for i, c := range msg {
		last |= uint64(c) << (8 * i)
	}
	v3 ^= last
	round()
	v0 ^= last
	v2 ^= 0xff
	round()
	round()
	return v0 ^ v1 ^ v2 ^ v3
}
