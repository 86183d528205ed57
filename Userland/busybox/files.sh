# ls, cat, mkdir, rm, cp, mv, ln, and friends on the RAM filesystem. (`ls -1`: stdout is the
# console, a terminal, where ls would print columns; natively it is a pipe.)
mkdir -p t_files/a/b/c && cd t_files
echo hello > a/b/c/file
ls a/b/c
cat a/b/c/file
cp a/b/c/file copy; mv copy moved; ls -1
ln -s a/b/c/file link; cat link; readlink link
ln moved hard; ls -l hard moved | awk '{ print $2, $5, $9 }'
mkdir d; touch d/x d/y d/z; ls d | wc -l
rm d/x; ls -1 d
rmdir d 2>/dev/null || echo "rmdir d: not empty"
rm -r d; ls -1
printf 'b\na\nc\n' > s; sort s | tr '\n' ' '; echo
wc -c < a/b/c/file
test -d a && echo "a is a dir"; test -f moved && echo "moved is a file"; test -e gone || echo "gone is absent"
find . -name file
du -s a > /dev/null && echo du ok
mkdir m; echo under > m/f
mount -t tmpfs none m && echo mounted; ls m | wc -l; echo over > m/g; cat m/g
umount m && echo unmounted; cat m/f; ls m
mount -t nosuchfs none m 2>/dev/null || echo "unknown type refused"
rm -r m
cd .. && rm -r t_files && ls t_files 2>/dev/null || echo "t_files is gone"
echo DONE
