# Background jobs, $!, wait, kill, traps.
sleep 0.2 &
pid=$!
wait $pid; echo "wait \$! status $?"
(exit 5) &
wait $!; echo "background exit status $?"
# ash reports a job killed by a signal ("Terminated", on stderr) when it happens to notice
# it, which is a race on Linux too: that line is not compared.
{ sleep 10 &
victim=$!
kill $victim
wait $victim; echo "killed job status $?"; } 2>/dev/null
for i in 1 2 3; do (sleep 0.1; exit $i) & done
wait; echo "wait all status $?"
sh -c 'trap "echo trapped EXIT" EXIT; echo body'
sh -c 'trap "echo got TERM; exit 9" TERM; kill -TERM $$; echo not reached'; echo "trap exit $?"
{ timeout 1 sleep 5; echo "timeout status $?"; } 2>/dev/null
sleep 0.05; echo "slept"
echo DONE
