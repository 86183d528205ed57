/// A compact unified-style line diff, for failure messages of differential tests.
///
/// Why our own: the reader of a failed test needs to see *where* MiniKernel's output
/// left Linux's, not two full transcripts. Foundation has no diff printer, but the
/// standard library's `difference(from:)` (Myers) gives the edit script; this turns it
/// into `@@ -a,b +c,d @@` hunks with a little context, like `diff -u`.
enum TextDiff {
    /// nil when `old == new`; otherwise a header naming the first differing line
    /// (1-based, in `old`), then the hunks, at most `maxLines` of them.
    static func unified(
        _ old: String, _ new: String,
        oldName: String = "Linux", newName: String = "MiniKernel",
        context: Int = 3, maxLines: Int = 60
    ) -> String? {
        guard old != new else { return nil }
        let a = Console.lines(old), b = Console.lines(new)

        // The edit script: each op is one line, with the positions (0-based) in
        // `a` and `b` before it. Lines neither removed nor inserted are common.
        let changes = b.difference(from: a)
        var removed = Set<Int>(), inserted = Set<Int>()
        for change in changes {
            switch change {
            case .remove(let offset, _, _): removed.insert(offset)
            case .insert(let offset, _, _): inserted.insert(offset)
            }
        }
        var ops: [(tag: Character, text: Substring, i: Int, j: Int)] = []
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count, removed.contains(i) {
                ops.append(("-", a[i], i, j)); i += 1
            } else if j < b.count, inserted.contains(j) {
                ops.append(("+", b[j], i, j)); j += 1
            } else {
                ops.append((" ", a[i], i, j)); i += 1; j += 1
            }
        }

        var out = "--- \(oldName)\n+++ \(newName)\n"
        let changed = ops.indices.filter { ops[$0].tag != " " }
        if let first = changed.first {
            out = "first difference at line \(ops[first].i + 1):\n" + out
        } else {
            out = "the lines are equal; only the final newline differs:\n" + out
        }

        // Hunks: runs of changes closer than 2 * context lines share one hunk.
        var hunks: [ClosedRange<Int>] = []
        for c in changed {
            let range = max(0, c - context)...min(ops.count - 1, c + context)
            if let last = hunks.last, range.lowerBound <= last.upperBound + 1 {
                hunks[hunks.count - 1] = last.lowerBound...range.upperBound
            } else {
                hunks.append(range)
            }
        }
        var body: [String] = []
        for hunk in hunks {
            let slice = ops[hunk]
            let aCount = slice.filter { $0.tag != "+" }.count, bCount = slice.filter { $0.tag != "-" }.count
            let start = slice.first!
            // As diff -u: an empty side is numbered by the line before it.
            body.append("@@ -\(start.i + (aCount > 0 ? 1 : 0)),\(aCount) +\(start.j + (bCount > 0 ? 1 : 0)),\(bCount) @@")
            body += slice.map { String($0.tag) + $0.text }
        }
        if body.count > maxLines {
            body = body.prefix(maxLines) + ["... (\(body.count - maxLines) more diff lines)"]
        }
        for (name, text) in [(oldName, old), (newName, new)] where !text.isEmpty && !text.hasSuffix("\n") {
            body.append("\\ No newline at end of \(name)'s output")
        }
        return out + body.joined(separator: "\n")
    }
}
