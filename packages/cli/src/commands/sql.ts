export async function sqlCommand(_flags: unknown, _io: unknown): Promise<void> {}
