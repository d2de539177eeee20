-- fail: option 'path' is given twice
CREATE SOURCE s (a INT) WITH (connector = 'file', path = 'a', path = 'b');
