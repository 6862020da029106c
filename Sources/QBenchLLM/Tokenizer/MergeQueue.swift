// The work queue of both merge loops: a binary max-heap on a caller's ordering (llama.cpp uses
// std::priority_queue for the same job).

/// A candidate merge of two adjacent symbols.
struct Bigram {
    /// SentencePiece: the merged token's score (higher first). BPE: minus the merge rank (lower rank first).
    var priority: Float
    var rank: Int32
    var left: Int32
    var right: Int32
    /// Bytes of the merged text, to notice when either symbol has changed since the candidate was queued.
    var size: Int32
}

struct MergeQueue {
    private var heap: [Bigram] = []
    /// SentencePiece orders by score; BPE by rank. Either way ties go to the leftmost pair.
    let byRank: Bool

    init(byRank: Bool) { self.byRank = byRank }

    var isEmpty: Bool { heap.isEmpty }

    mutating func removeAll() { heap.removeAll(keepingCapacity: true) }

    /// Whether `a` comes out before `b`.
    @inline(__always)
    private func first(_ a: Bigram, _ b: Bigram) -> Bool {
        if byRank {
            return a.rank < b.rank || (a.rank == b.rank && a.left < b.left)
        }
        return a.priority > b.priority || (a.priority == b.priority && a.left < b.left)
    }

    mutating func push(_ b: Bigram) {
        heap.append(b)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard first(heap[i], heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Bigram? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            let n = heap.count
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var best = i
                if l < n && first(heap[l], heap[best]) { best = l }
                if r < n && first(heap[r], heap[best]) { best = r }
                if best == i { break }
                heap.swapAt(i, best)
                i = best
            }
        }
        return top
    }
}

/// The symbols of one merge run: a doubly linked list over byte ranges of `text`.
struct SymbolList {
    var start: [Int32] = []
    var length: [Int32] = []
    var prev: [Int32] = []
    var next: [Int32] = []

    /// One symbol per UTF-8 character of `text[range]` (llama.cpp's split: the lead byte decides the length).
    init(_ text: [UInt8], _ range: Range<Int>) {
        var i = range.lowerBound
        var index: Int32 = 0
        let reserve = range.count
        start.reserveCapacity(reserve)
        length.reserveCapacity(reserve)
        prev.reserveCapacity(reserve)
        next.reserveCapacity(reserve)
        while i < range.upperBound {
            let n = min(utf8Length(text[i]), range.upperBound - i)
            start.append(Int32(i))
            length.append(Int32(n))
            prev.append(index - 1)
            i += n
            next.append(i == range.upperBound ? -1 : index + 1)
            index += 1
        }
    }

    var count: Int { start.count }

    func bytes(_ text: [UInt8], _ i: Int32) -> ArraySlice<UInt8> {
        let s = Int(start[Int(i)])
        return text[s..<s + Int(length[Int(i)])]
    }

    /// Merges `right` into `left` (its next symbol).
    mutating func merge(_ left: Int32, _ right: Int32) {
        let l = Int(left)
        let r = Int(right)
        length[l] += length[r]
        length[r] = 0
        next[l] = next[r]
        if next[r] >= 0 { prev[Int(next[r])] = left }
    }
}
