-- fail: row has no field 'c'
CREATE SOURCE r (p ROW<a INT, b VARCHAR>) WITH (connector = 'file');
SELECT p.c FROM r;
