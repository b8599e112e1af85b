!echo from the shell
setenv FOO bar
!echo FOO=$FOO
unsetenv FOO
!echo FOO=${FOO-unset}
<!echo "echo inlined-cmd"; echo "echo second"
<!printf '%s\n' '-nosuch' 'echo after-inline'
echo hello world | tr a-z A-Z
help | head -n 2
lcd /
!pwd
-lcd /nonexistent-dir
-setenv
-unsetenv a b
time echo timed | sed 's/^/> /'
