guestfish echo a : quit : echo b
