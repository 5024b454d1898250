import { firstRun } from '../e2e';
firstRun().then((r) => console.log(JSON.stringify(r)));
