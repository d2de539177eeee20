-- fail: unknown type 'VARCAHR'
CREATE SOURCE s (a VARCAHR) WITH (connector = 'file');
