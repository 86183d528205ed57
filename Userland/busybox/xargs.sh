# xargs fanning out 200 short-lived processes, 8 at a time.
seq 1 200 | xargs -n 1 -P 8 sh -c 'echo $(( $0 * 2 ))' | sort -n | awk '{ s += $1; n++ } END { print n, s }'
seq 1 200 | xargs -n 10 echo | wc -l
i=0; while [ $i -lt 50 ]; do true & i=$((i + 1)); done; wait; echo "50 background jobs reaped"
echo DONE
