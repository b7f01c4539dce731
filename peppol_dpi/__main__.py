from peppol_dpi.cli.main import main

raise SystemExit(main())
