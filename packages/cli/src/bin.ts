console.log('darq');
