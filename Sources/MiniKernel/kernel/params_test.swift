// Self-tests: the command-line parser.

import CShim
let params_suite = KUnitSuite(name: "params", cases: [
    KUnitCase(name: "words_and_values") { t in
        let line: StaticString = "  console=ttyS0 quiet  init=/prog ktest=slab sched_seed=17 foo=a=b "
        let p = parse_kernel_params(ByteString(line.utf8Start, count: line.utf8CodeUnitCount))
        t.expect(p.quiet, "quiet")
        t.expect(p.ktest && p.ktestFilter.equals("slab"), "ktest=slab")
        t.expect(p.initPath.equals("/prog"), "init=/prog")
        t.expect(p.schedSeed == 17, "sched_seed=17")
        t.expect(!p.rdlist && !p.lockcheck, "absent flags stay off")
    },
    KUnitCase(name: "counts_every_word") { t in
        let line: StaticString = "a b=1 c= =d"
        var n = 0, empties = 0
        parse_args(ByteString(line.utf8Start, count: line.utf8CodeUnitCount)) { name, value in
            n += 1
            if value.isEmpty { empties += 1 }
            if name.isEmpty { empties += 10 }
        }
        t.expectEqual(n, 4, "words")
        t.expectEqual(empties, 12, "a and c= have no value; =d has no name")
    },
])
