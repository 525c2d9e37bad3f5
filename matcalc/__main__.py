from matcalc.cli.app import main

raise SystemExit(main())
