guestfish echo a : nosuch
