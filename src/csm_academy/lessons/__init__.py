"""One module per lesson, each holding only that lesson's questions and the data views it hands out."""
