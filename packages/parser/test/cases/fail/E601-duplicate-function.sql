-- fail: function 'f' is already defined
CREATE FUNCTION f FROM 'a.ts';
CREATE FUNCTION f FROM 'b.ts';
