"""The escape-room catalog: cleaning of crawled listings, its tables, and its search documents."""
