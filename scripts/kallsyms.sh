#!/bin/sh
# kallsyms.sh IMAGE OUT.asm — the symbol table the kernel prints its call
# traces with (Linux: scripts/kallsyms.c). Text symbols of IMAGE, sorted by
# address, names demangled in Swift's short form, as a nasm source.
set -eu
image=$1
out=$2
demangle="swift-demangle"
command -v "$demangle" >/dev/null 2>&1 || demangle="swift demangle"

llvm-nm -n --defined-only "$image" \
  | awk '$2 ~ /^[tTwW]$/ { print $1, $3 }' \
  | $demangle --simplified --compact 2>/dev/null \
  | awk '
    BEGIN { n = 0 }
    {
      addr = $1; $1 = ""; name = substr($0, 2)
      if (addr == last) next
      last = addr
      gsub(/"/, "", name)
      if (length(name) > 120) name = substr(name, 1, 120)
      addrs[n] = addr; names[n] = name; n++
    }
    END {
      print "section .kallsyms progbits alloc noexec nowrite align=8"
      print "global kallsyms_num, kallsyms_addresses, kallsyms_name_offsets, kallsyms_names"
      print "kallsyms_num: dq " n
      print "kallsyms_addresses:"
      for (i = 0; i < n; i++) print "  dq 0x" addrs[i]
      print "kallsyms_name_offsets:"
      off = 0
      for (i = 0; i < n; i++) { print "  dd " off; off += length(names[i]) + 1 }
      print "kallsyms_names:"
      for (i = 0; i < n; i++) print "  db \"" names[i] "\", 0"
    }' > "$out"
