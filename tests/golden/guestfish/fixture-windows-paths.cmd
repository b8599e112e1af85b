guestfish --ro -a windows.img -i < scripts/win-fixture.gf
