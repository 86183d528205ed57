# Pipelines, redirections, here-documents, command substitution, subshell status.
sh -c "echo a | cat"
echo one two three | tr ' ' '\n' | sort -r | head -n 2
mkdir t_pipeline && cd t_pipeline
echo first > f
echo second >> f
cat < f
cat f nosuchfile 2> err; echo "cat status $?"
grep -c nosuchfile err
cat <<END
here $((6 * 7))
  indented
END
x=$(echo sub; echo shell)
echo "got: $x"
y=`printf '%s-%s' back ticks`
echo "$y"
( exit 3 ); echo "subshell status $?"
false; echo "false $?"
! true; echo "negated $?"
exec 3> g; echo via fd 3 >&3; exec 3>&-; cat g
{ echo grouped; echo out; } | wc -l
echo a b c | while read p q r; do echo "$r $q $p"; done
sh -c 'exit 7'; echo "sh -c exit $?"
sh -c 'kill -TERM $$'; echo "killed by TERM: $?"
seq 1 5 | awk '{ s += $1 } END { print "sum", s }'
cd .. && rm -r t_pipeline
echo DONE
