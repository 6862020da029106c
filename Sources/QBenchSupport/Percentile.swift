// Order statistics in linear time (quickselect), for error percentiles of tensors too large to sort.

public enum Percentile {
    /// The `fraction` quantile (0...1) of `v` with linear interpolation between the two nearest order
    /// statistics (numpy's default "linear" method). Reorders `v`. NaN-free input expected.
    public static func select(_ v: UnsafeMutableBufferPointer<Float>, fraction: Double) -> Double {
        let n = v.count
        if n == 0 { return .nan }
        let pos = max(0, min(1, fraction)) * Double(n - 1)
        let lo = Int(pos.rounded(.down))
        let a = Double(kth(v, lo))
        if lo + 1 >= n { return a }
        // After kth(lo), everything right of lo is >= v[lo]: the next order statistic is their minimum.
        var b = v[lo + 1]
        for i in (lo + 2)..<n where v[i] < b { b = v[i] }
        return a + (pos - Double(lo)) * (Double(b) - a)
    }

    /// Rearranges `v` so that v[k] is the k-th smallest, smaller-or-equal values before it and
    /// greater-or-equal after; returns v[k]. Hoare partitioning with a median-of-three pivot.
    public static func kth(_ v: UnsafeMutableBufferPointer<Float>, _ k: Int) -> Float {
        var left = 0, right = v.count - 1
        while right > left {
            let mid = left + (right - left) / 2
            // Median of three into v[mid].
            if v[mid] < v[left] { v.swapAt(mid, left) }
            if v[right] < v[left] { v.swapAt(right, left) }
            if v[right] < v[mid] { v.swapAt(right, mid) }
            let pivot = v[mid]
            var i = left, j = right
            while i <= j {
                while v[i] < pivot { i += 1 }
                while pivot < v[j] { j -= 1 }
                if i <= j {
                    v.swapAt(i, j)
                    i += 1; j -= 1
                }
            }
            // Now [left, j] <= pivot <= [i, right], and anything strictly between j and i equals pivot.
            if k <= j {
                right = j
            } else if k >= i {
                left = i
            } else {
                return v[k]
            }
        }
        return v[k]
    }
}
