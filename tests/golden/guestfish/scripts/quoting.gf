echo 'single $HOME "x"' "double \t tab" plain\ word
echo "\x41\101\?\'\"\\" 'x\n' a|b |cat -A
echo ~ ~/sub ~root ~root/x ~nosuchuser/y '~' a~b
	  echo   leading   blanks   
echo "" '' x
echo #not a comment
# a comment
ECHO case
echo "ünïcode" 'ök'
