from octag.cli import main

main()
