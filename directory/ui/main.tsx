// The phone (/phone/): a member's permanent number and, later, the directory.

import { render } from 'preact';
import '../../backend/web/ui/theme.css';
import './phone.css';
import { App } from './App';

render(<App />, document.getElementById('app')!);
