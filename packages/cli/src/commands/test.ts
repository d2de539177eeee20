export async function testCommand(_d: string, _flags: unknown, _io: unknown): Promise<void> {}
