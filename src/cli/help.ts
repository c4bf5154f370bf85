/**
 * borg's help screens. oclif's stock Help lists only topics that already have
 * commands; borg's root help lists every planned topic so users see the whole
 * map, marking the ones whose commands come in a later release. oclif would load
 * a custom helpClass by file path (impossible inside the bun binary), so
 * src/main.ts constructs this class directly (see src/cli/route.ts).
 */
import { Help, type Config, type Interfaces } from '@oclif/core'
import { format, stripVTControlCharacters } from 'node:util'
import { TOPICS } from '../oclif-pjson.js'
import { colorEnabled } from './output.js'
import { HELP_FLAGS, leadingWords, resolveWords, topicHasCommands, unknownCommand, type Target } from './route.js'

export const COMING_LATER = '(coming in a later release)'

export class BorgHelp extends Help {
  private readonly color: boolean

  /** `sink`: where the text goes instead of stdout (the build renders every page into the help book). */
  constructor(
    config: Config,
    opts: Partial<Interfaces.HelpOptions> = {},
    private readonly sink?: (text: string) => void,
  ) {
    const color = colorEnabled(process.stdout)
    super(config, { ...opts, stripAnsi: !color })
    this.color = color
  }

  /** Accepts what the user typed, e.g. ['help', 'id', 'new'] or ['id', '--help']. */
  override async showHelp(argv: string[]): Promise<void> {
    const rest = argv[0] === 'help' ? argv.slice(1) : argv
    await this.show(resolveWords(leadingWords(rest.filter((a) => !HELP_FLAGS.includes(a))), this.config))
  }

  async show(target: Target): Promise<void> {
    switch (target.kind) {
      case 'root':
        return this.showRootHelp()
      case 'topic':
        return this.showTopicHelp(this.config.findTopic(target.name) ?? { name: target.name })
      case 'command':
        // Help.showHelp handles commands with dynamic flag defaults; hand it the bare id.
        return super.showHelp([target.id])
      case 'unknown':
        throw unknownCommand(target.words, this.config)
    }
  }

  protected override async showRootHelp(): Promise<void> {
    this.log(this.formatRoot())
    this.log('')
    const rows = Object.entries(TOPICS).map(([name, { description }]): [string, string] => [
      name,
      // The marker goes first so wrapping never splits it from the topic's line.
      topicHasCommands(name, this.config) ? description : `${COMING_LATER} ${description}`,
    ])
    this.log(this.section('TOPICS', rows))
    this.log('')
    this.log(`Run "${this.config.bin} TOPIC --help" for a topic's commands.`)
  }

  protected override async showTopicHelp(topic: Interfaces.Topic): Promise<void> {
    if (topicHasCommands(topic.name, this.config)) return super.showTopicHelp(topic)
    const words = topic.name.replaceAll(':', ' ')
    this.log(`${topic.description ?? words}\n`)
    this.log(`No ${words} commands are available in ${this.config.bin} ${this.config.version}; they are ${COMING_LATER.slice(1, -1)}.`)
  }

  /** oclif colours some text regardless of stripAnsi (and ignores NO_COLOR); strip at the last moment. */
  protected override log(...args: string[]): void {
    const shown = this.color ? args : args.map((a) => stripVTControlCharacters(a))
    if (this.sink) this.sink(format(...shown) + '\n') // as oclif's log prints it
    else super.log(...shown)
  }
}
