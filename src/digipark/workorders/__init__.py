"""Work orders: one mechanism for property repairs, cleaning, complaints and equipment maintenance."""
