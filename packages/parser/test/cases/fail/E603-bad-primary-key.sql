-- fail: primary key column 'idd' is not a column
CREATE SOURCE s (id BIGINT, PRIMARY KEY (idd) NOT ENFORCED) WITH (connector = 'file');
