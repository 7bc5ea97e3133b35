"""`python -m digipark` runs the `digipark` command."""

from digipark.cli import main

if __name__ == "__main__":
    main()
