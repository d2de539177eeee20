import { Packr } from 'msgpackr';

/** The one msgpackr instance for keyed state and small internal values (plain msgpack, no records). */
export const codec = new Packr({ useRecords: false, moreTypes: true });
